/** The one workflow id of each delivery and of each of its replays, so each is started once. */
export function webhookWorkflowId(delivery: { id: string; replays: number }): string {
  return delivery.replays === 0 ? `webhook-delivery-${delivery.id}` : `webhook-delivery-${delivery.id}-replay-${delivery.replays}`;
}

/** The `webhook-id` header: the same on every attempt and every replay of a delivery, as receivers dedupe by it. */
export function webhookMessageId(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll('-', '')}`;
}
