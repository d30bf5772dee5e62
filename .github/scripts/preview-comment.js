// Post the preview as ONE comment on the pull request, or update the one posted before.
//
// The Markdown comes from `platform preview --markdown`, which puts the marker line first; the
// comment is found again by that marker, among the comments of github-actions[bot] only.
//
// The Markdown is DATA, never trusted: for a pull request from a fork it comes from an artifact of
// the fork's own workflow run, which the fork controls entirely (its workflow file included). So:
// - the pull request to comment on is never read from the artifact: `pullRequestOf` finds it from
//   the workflow_run event (head repository, branch, SHA) through the API, and wants exactly one;
// - `readPreview` reads only `preview.md`, a regular file of at most MAX_BYTES;
// - `sanitize` wants the marker first and at most LIMIT characters, neutralises @mentions and
//   issue references (no notifications, no backlinks from the fork's text), and escapes every HTML
//   tag but the preview's own (<details>, <summary>, <code>, balanced): no HTML comment, no second
//   marker, nothing that hides the notice that says where the content comes from.
const fs = require('fs');
const path = require('path');

const MARKER = '<!-- tenantwave-preview -->';
const LIMIT = 65536; // GitHub's comment limit, in characters
const MAX_BYTES = 4 * LIMIT; // UTF-8: at most 4 bytes a character
const BOT = 'github-actions[bot]';
const TAGS = ['details', 'summary', 'code'];
const ZWSP = '\u200b';

function readPreview(directory) {
  const file = path.join(directory, 'preview.md');
  const stat = fs.lstatSync(file);
  if (!stat.isFile()) throw new Error('preview.md in the artifact is not a regular file');
  if (stat.size > MAX_BYTES) throw new Error(`preview.md is ${stat.size} bytes, over the ${MAX_BYTES} allowed`);
  return fs.readFileSync(file, 'utf8');
}

async function pullRequestOf({ github, context, run }) {
  const { owner, repo } = context.repo;
  const head = run && run.head_repository;
  if (!run || run.event !== 'pull_request') throw new Error('the workflow run is not one of a pull request');
  if (!head || !head.full_name || !head.owner || !head.owner.login) throw new Error('the run names no head repository');
  if (!/^[0-9a-f]{40}$/.test(run.head_sha || '') || !run.head_branch) throw new Error('the run names no head commit');
  const pulls = await github.paginate(github.rest.pulls.list, {
    owner, repo, state: 'open', head: `${head.owner.login}:${run.head_branch}`, per_page: 100,
  });
  const matching = pulls.filter((pull) => pull.head && pull.head.sha === run.head_sha
    && pull.head.repo && pull.head.repo.full_name === head.full_name
    && pull.base && pull.base.repo && pull.base.repo.full_name === `${owner}/${repo}`);
  if (matching.length !== 1) {
    throw new Error(`expected one open pull request of ${owner}/${repo} from ${head.full_name} at ${run.head_sha}, `
      + `found ${matching.length}: not commenting`);
  }
  return matching[0].number;
}

function escapeTags(text, keep) {
  return text.replace(/</g, (lt, offset) => {
    const tag = /^<(\/?)([a-z]+)>/.exec(text.slice(offset, offset + 12));
    return tag && keep.has(tag[2]) ? lt : '&lt;';
  });
}

function balancedTags(text) {
  const keep = new Set();
  for (const tag of TAGS) {
    const opened = text.split(`<${tag}>`).length - 1;
    const closed = text.split(`</${tag}>`).length - 1;
    if (opened === closed) keep.add(tag);
  }
  return keep;
}

function sanitize(body, source) {
  if (typeof body !== 'string' || !body.startsWith(MARKER)) {
    throw new Error('the preview Markdown does not start with the tenantwave marker');
  }
  if (body.length > LIMIT) throw new Error(`the preview Markdown is ${body.length} characters, over ${LIMIT}`);
  let text = body.slice(MARKER.length).replace(/\r\n?/g, '\n');
  text = escapeTags(text, balancedTags(text));
  text = text.replace(/&(#0*64|#x0*40|commat);/gi, '@').replace(/&(#0*35|#x0*23|num);/gi, '#');
  text = text.replace(/(^|[^\w])@(?=[A-Za-z0-9])/g, `$1@${ZWSP}`); // @user, @org/team: no mention
  text = text.replace(/(&?)(#|GH-)(\d+)(;?)/gi, (all, amp, sign, digits, semi) => ( // #123, o/r#123, GH-1:
    amp && sign === '#' && semi ? all : `${amp}${sign}${ZWSP}${digits}${semi}`)); // no reference; &#124; stays
  text = text.replace(/github\.com\//gi, `github${ZWSP}.com/`); // issue URLs: no backlink either
  const notice = source
    ? `> Preview produced by [the pull request's own workflow run](${encodeURI(source)}) (a fork): `
      + 'shown as uploaded, escaped; a maintainer can rerun it from the base repository.\n\n'
    : '';
  let result = `${MARKER}\n${notice}${text.replace(/^\n/, '')}`;
  if (result.length > LIMIT) { // escaping made it longer: cut at a line, say so
    const note = '\n\n**Truncated** to fit a comment: the `preview-json` artifact has everything.\n';
    const cut = result.slice(0, LIMIT - note.length);
    result = escapeTags(cut.slice(0, cut.lastIndexOf('\n')), new Set()) + note;
    result = MARKER + result.slice(result.indexOf('\n'));
  }
  return result;
}

async function post({ github, context, issueNumber, body, source }) {
  if (!Number.isSafeInteger(issueNumber) || issueNumber < 1) throw new Error('not a pull request number');
  const text = sanitize(body, source);
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number: issueNumber, per_page: 100,
  });
  const previous = comments.find((c) => c.user && c.user.login === BOT && c.user.type === 'Bot'
    && typeof c.body === 'string' && c.body.startsWith(MARKER));
  if (previous) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body: text });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text });
  }
}

module.exports = { MARKER, LIMIT, MAX_BYTES, readPreview, pullRequestOf, sanitize, post };
