"""CI integration: the GitHub Actions rollout workflow generated from the project's waves (`workflows`),
and the scheduled drift workflow, one job per environment and one issue
(`driftworkflow`), both starting each job with the same setup steps (`jobsetup`)."""
