"""The engine boundary: what the runner asks of a deployment engine, and the engines that answer.

- `base`      the protocol (prepare, preview, up, destroy, refresh, outputs, close), events, results
- `registry`  choosing an engine by name and opening the one a workspace asks for
- `pulumi*`   the real engine on the Pulumi Automation API (command, backend, events, results)
- `mock`      runs the real stack program under Pulumi's mocks; records simulated deployments
- `simulate`  runs the stack program in-process under mocks and returns what it declares
- `changes`   what an operation changed (created, updated, deleted, replaced), as `pulumi up` sums it up
- `drift`     what a refresh preview found different in the cloud (`preview_refresh`), capped and redacted
- `mockdrift` the mock engine's drift scenario file: which simulated resources drifted
"""
