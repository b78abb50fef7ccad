/**
 * The staff task queues journeys may assign work to. A queue is a team's inbox:
 * journeys name it, staff work through it, and validation refuses a queue that
 * does not exist rather than let tasks pile up where nobody looks.
 */
export interface TaskQueue {
  id: string;
  name: string;
  description: string;
}

export const taskQueues: readonly TaskQueue[] = [
  { id: 'stewardship', name: 'Stewardship', description: 'Thank-you calls, handwritten cards and other personal touches' },
  { id: 'major-gifts', name: 'Major gifts', description: 'Gift officers: calls and meetings with major donors and prospects' },
  { id: 'donor-care', name: 'Donor care', description: 'Payment problems, record fixes and supporter questions' },
  { id: 'events', name: 'Events', description: 'Event staff: registrations, attendance and follow-up' },
];

export const taskQueueIds: ReadonlySet<string> = new Set(taskQueues.map((queue) => queue.id));

/** A queue's name as people read it; a queue no longer listed keeps its id. */
export const queueName = (id: string): string => taskQueues.find((queue) => queue.id === id)?.name ?? id;
