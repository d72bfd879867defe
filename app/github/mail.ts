/**
 * A patch mail pasted in an issue: AUTOSEL, stable review, git format-patch or a web-archive copy. Only detection
 * and extraction live here; parsing is the intake's job.
 */

const DIFF = /^(diff --git |--- a\/|\+\+\+ b\/|@@ -\d)/m;

/** The mail text of an issue, or null when the issue holds no patch. */
export function mailFromIssue(title: string, body: string | null | undefined): string | null {
  if (!body) return null;
  const text = body.replace(/\r\n?/g, '\n');
  // a mail pasted inside a code fence: take the fenced block that holds the diff
  const fences = [...text.matchAll(/^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)^\1[ \t]*$/gm)];
  const fenced = fences.map((m) => m[2]).find((block) => DIFF.test(block));
  const mail = fenced ?? text;
  if (!DIFF.test(mail)) return null;
  if (!/\bdiff --git |^@@ /m.test(mail)) return null;
  const first = mail.trimStart().split('\n')[0];
  const hasSubject = /^(Subject:|From |\[PATCH)/i.test(first) || /^Subject:/m.test(mail);
  // a web-archive copy starts with the subject; when only the issue title carries it, put it first
  if (!hasSubject && /\[PATCH/i.test(title)) return `${title.trim()}\n${mail}`;
  return mail;
}
