"""The work queue of a stack: an SQS queue and its dead-letter queue (redrive after N receives)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenantstack.naming import SQS_QUEUE_MAX, spec_aws_name
from tenantstack.parameters import Queue
from tenantstack.spec import StackSpec

DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class Queues:
    queue: aws.sqs.Queue
    dead_letter: aws.sqs.Queue

    @property
    def arns(self) -> list[pulumi.Output[str]]:
        return [self.queue.arn, self.dead_letter.arn]


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count})


def queues(logical: str, name: str, dlq_name: str, settings: Queue, tags: dict[str, str]) -> Queues:
    dead_letter = aws.sqs.Queue(
        f"{logical}-dlq",
        name=dlq_name,
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        sqs_managed_sse_enabled=True,
        tags=tags,
    )
    queue = aws.sqs.Queue(
        logical,
        name=name,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        sqs_managed_sse_enabled=True,
        redrive_policy=dead_letter.arn.apply(lambda arn: redrive_policy(arn, settings.max_receive_count)),
        tags=tags,
    )
    return Queues(queue=queue, dead_letter=dead_letter)


def stack_queues(spec: StackSpec, tags: dict[str, str]) -> Queues | None:
    """The stack's work queue and dead-letter queue, when its tier enables them."""
    if not spec.parameters.queue.enabled:
        return None
    return queues(
        "queue",
        spec_aws_name(spec, limit=SQS_QUEUE_MAX),
        spec_aws_name(spec, "dlq", limit=SQS_QUEUE_MAX),
        spec.parameters.queue,
        tags,
    )
