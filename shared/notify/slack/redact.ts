// The webhook URL is the secret: what Slack or the network says about a post is redacted before it is
// logged or thrown.

const REDACTED = '[webhook]';

/**
 * Removes every trace of the webhook URL from a text: the URL in its usual spellings, its path
 * (Slack's T…/B…/token), and each longer path segment on its own.
 */
export function redact(text: string, url: string): string {
  if (!url) return text;
  const fragments = new Set<string>([url, encodeURI(url), encodeURIComponent(url), url.replace(/^[a-z]+:\/\//i, '')]);
  try {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) fragments.add(`${parsed.pathname}${parsed.search}`).add(parsed.pathname);
    // Slack's own path word stays readable; the IDs and the token do not.
    for (const segment of parsed.pathname.split('/')) if (segment.length >= 6 && segment !== 'services') fragments.add(segment);
    if (parsed.search.length > 1) fragments.add(parsed.search.slice(1));
  } catch {
    // Not a URL: the text as a whole is all there is to hide.
  }
  let redacted = text;
  for (const fragment of [...fragments].sort((a, b) => b.length - a.length)) {
    if (fragment.length >= 6) redacted = redacted.split(fragment).join(REDACTED);
  }
  return redacted;
}
