// Post the preview as ONE comment on the pull request, or update the one posted before.
// The comment is found by the marker line `platform preview` puts first in its Markdown.
const MARKER = '<!-- tenantwave-preview -->';

module.exports = async ({ github, context, issueNumber, body }) => {
  const { owner, repo } = context.repo;
  if (!body.startsWith(MARKER)) {
    throw new Error('the preview Markdown does not start with the tenantwave marker');
  }
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner, repo, issue_number: issueNumber, per_page: 100,
  });
  const previous = comments.find((c) => c.user && c.user.type === 'Bot' && c.body && c.body.startsWith(MARKER));
  if (previous) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  }
};
