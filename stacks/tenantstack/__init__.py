"""The resources of a tenantwave stack: a pool stack (one tier, its member tenants) or a silo stack.

Modules, one per component, each a plain function of the typed `StackSpec`:

- `parameters` the tier parameter model (platform.yaml `program.parameters`; the tool validates with it)
- `spec`       the stack config (namespace `tenantwave`) parsed into a pydantic model
- `naming`     Kubernetes and AWS names derived from validated ids, always within limits
- `tags`       the `tenant`, `tier`, `environment`, `release` tags and labels on every resource
- `providers`  the explicit AWS and Kubernetes providers built from the stack's target
- `isolation`  namespace (Pod Security `restricted`), network policies, quota
- `kubernetes` workload (Deployment, Service, HPA, PDB), service account, ConfigMap
- `data`       DynamoDB table or Aurora PostgreSQL cluster (retained on delete by default)
- `queue`      SQS queue and its dead-letter queue (retained on delete by default)
- `identity`   IAM roles and policies scoped to one tenant's resources, Pod Identity
- `silo`/`pool` the two kinds of stack; `program` picks one and exports the outputs

Keep this file free of imports: the tool imports `tenantstack.parameters` on its planning path (no pulumi).
"""
