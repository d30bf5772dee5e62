"""tenantwave: roll one release of a multi-tenant SaaS across its fleet, in waves."""

__version__ = "0.1.0"
