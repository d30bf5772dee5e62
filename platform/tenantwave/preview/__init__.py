"""Previews: what a change between two git revisions would do to which stacks.

- `revisions`      resolve refs, list changed files, export a tree (never touches the working tree)
- `changes`        which stacks a change affects, and why
- `build`          the whole preview: affected stacks, previewed offline or through the engine
- `graphdiff`      the difference between two declared-resource graphs, resource by resource
- `through_engine` a real `pulumi preview` per affected stack, through the engine protocol
- `report`         the preview as pull-request Markdown and JSON
"""
