import type { ExportKindDefinition } from '../contract.ts';

/** An AMI exported as a disk image (ExportImage / DescribeExportImageTasks / CancelExportTask). */
export const ec2ImageKind: ExportKindDefinition<'ec2-image'> = {
  kind: 'ec2-image',
  title: 'EC2 image exports',
  // RDS's quota is not EC2's; EC2 sends no export event, so its waits are plain Wait states.
  takesExportSlot: false,
  sendsExportEvents: false,
  cancellable: true,
  verifiedAfterEnd: false,
  // One file named after EC2's task id, known once the task is started.
  s3UriOf: (request, taskId) => (taskId ? `s3://${request.s3Bucket}/${request.ec2Image.s3Prefix}${taskId}.${request.ec2Image.diskImageFormat.toLowerCase()}` : undefined),
};
