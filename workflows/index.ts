/** Entry point of the workflow bundle: every workflow the worker registers. */
export { enrollmentWorkflow } from './enrollment.ts';
export { dropOffScanWorkflow, taskEscalationWorkflow, yearEndStatementWorkflow } from './maintenance.ts';
export { deliverWebhookWorkflow } from './webhook-delivery.ts';
