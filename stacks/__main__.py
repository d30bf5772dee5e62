"""Entry point of the tenantwave Pulumi program (Pulumi.yaml: `main: stacks/`).

Pulumi's Python host runs this directory with `stacks/` on sys.path; everything lives in the
`tenantstack` package next to this file.
"""

from tenantstack.program import main

main()
