"""The steps every generated job starts with: checkout, Python, the Pulumi CLI, cloud credentials of
its matrix environment through GitHub OIDC, cluster access, and tenantwave itself.

The rollout and the drift workflow differ only in the role variable, the session name, what the
credentials are said to allow, and the extras installed.
"""

from __future__ import annotations

PYTHON_VERSION = "3.12"

_SETUP = """\
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install the Pulumi CLI
        uses: pulumi/actions@v6
      - name: Cloud credentials of ${{{{ matrix.environment }}}} (GitHub OIDC{access})
        uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{{{ matrix.ci_role || vars.{role_variable} }}}}
          role-session-name: tenantwave-{session}-${{{{ matrix.environment }}}}
          aws-region: ${{{{ matrix.region }}}}
      - name: Cluster access to ${{{{ matrix.cluster }}}}
        run: >-
          aws eks update-kubeconfig --name "${{{{ matrix.cluster }}}}" --region "${{{{ matrix.region }}}}"
          --alias "${{{{ matrix.context }}}}"
          ${{{{ matrix.cluster_role && format('--role-arn {{0}}', matrix.cluster_role) || '' }}}}
      - name: Install tenantwave
        run: python -m pip install -e '.[{extras}]'
"""


def setup_steps(*, role_variable: str, session: str, extras: str, access: str = "") -> str:
    """The setup steps as YAML lines (each ending in a newline), ready to follow `    steps:`.

    `role_variable`: the GitHub variable naming the role when the target sets no ci.role_arn;
    `session`: the middle of the role session name; `extras`: tenantwave's pip extras;
    `access`: appended to "(GitHub OIDC" in the credentials step's name (e.g. ", read is enough").
    """
    return _SETUP.format(python=PYTHON_VERSION, role_variable=role_variable, session=session, extras=extras,
                         access=access)
