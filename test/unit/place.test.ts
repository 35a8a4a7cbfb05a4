import { describe, expect, it } from 'vitest';
import { parsePlaceKey, placeKey, placeOfArn, samePlace } from '../../shared/accounts/place.ts';

describe('the place of an export (account and region)', () => {
  it('is read from a regional ARN of any service and partition', () => {
    expect(placeOfArn('arn:aws:rds:eu-west-1:123456789012:snapshot:rds:db-1')).toEqual({ account: '123456789012', region: 'eu-west-1' });
    expect(placeOfArn('arn:aws-cn:ec2:cn-north-1:210987654321:image/ami-1')).toEqual({ account: '210987654321', region: 'cn-north-1' });
  });

  it('is undefined for a global ARN or anything that is not an ARN', () => {
    expect(placeOfArn('arn:aws:iam::123456789012:role/r')).toBeUndefined();
    expect(placeOfArn('arn:aws:rds:us-east-1:12345:snapshot:x')).toBeUndefined();
    expect(placeOfArn('snapshot-1')).toBeUndefined();
  });

  it('has a key that names it and reads back to the same place', () => {
    const place = { account: '123456789012', region: 'us-east-1' };
    expect(placeKey(place)).toBe('123456789012/us-east-1');
    expect(samePlace(parsePlaceKey(placeKey(place))!, place)).toBe(true);
    expect(parsePlaceKey('123/us-east-1')).toBeUndefined();
  });
});
