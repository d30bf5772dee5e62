"""CI integration: the GitHub Actions rollout workflow generated from the project's waves (`workflows`)."""
