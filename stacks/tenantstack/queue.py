"""The work queue of a stack: an SQS queue and its dead-letter queue (redrive after N receives).

Both are kept on destroy like the tables (`retain_on_delete` unless the stack config says
`retain_data: false`): messages are data. The dead-letter queue accepts redrives from its own work
queue only (a redrive-allow policy), and both are encrypted: with the target's KMS key when it has
one, SQS-managed keys otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi_aws as aws

from tenantstack.data import data_options
from tenantstack.naming import DEAD_LETTER, SQS_QUEUE_MAX, spec_aws_name
from tenantstack.parameters import Queue
from tenantstack.providers import Providers
from tenantstack.spec import StackSpec

DLQ_RETENTION_SECONDS = 14 * 24 * 3600
KMS_DATA_KEY_REUSE_SECONDS = 300


@dataclass(frozen=True)
class Queues:
    queue: aws.sqs.Queue
    dead_letter: aws.sqs.Queue


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count})


def redrive_allow_policy(source_queue_arn: str) -> str:
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_queue_arn]})


def _encryption(kms_key_arn: str | None) -> dict[str, object]:
    if kms_key_arn is None:
        return {"sqs_managed_sse_enabled": True}
    return {"kms_master_key_id": kms_key_arn, "kms_data_key_reuse_period_seconds": KMS_DATA_KEY_REUSE_SECONDS}


def queues(spec: StackSpec, settings: Queue, tags: dict[str, str], providers: Providers) -> Queues:
    kms = spec.target.aws.kms_key_arn
    dead_letter = aws.sqs.Queue(
        "queue-dlq",
        name=spec_aws_name(spec, DEAD_LETTER, limit=SQS_QUEUE_MAX),
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        tags=tags,
        opts=data_options(providers, spec.retain_data),
        **_encryption(kms),  # type: ignore[arg-type]
    )
    queue = aws.sqs.Queue(
        "queue",
        name=spec_aws_name(spec, limit=SQS_QUEUE_MAX),
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        redrive_policy=dead_letter.arn.apply(lambda arn: redrive_policy(arn, settings.max_receive_count)),
        tags=tags,
        opts=data_options(providers, spec.retain_data),
        **_encryption(kms),  # type: ignore[arg-type]
    )
    aws.sqs.RedriveAllowPolicy(
        "queue-dlq-redrive-allow",
        queue_url=dead_letter.url,
        redrive_allow_policy=queue.arn.apply(redrive_allow_policy),
        opts=providers.for_aws(parent=dead_letter),
    )
    return Queues(queue=queue, dead_letter=dead_letter)


def stack_queues(spec: StackSpec, tags: dict[str, str], providers: Providers) -> Queues | None:
    """The stack's work queue and dead-letter queue, when its tier enables them."""
    if not spec.parameters.queue.enabled:
        return None
    return queues(spec, spec.parameters.queue, tags, providers)
