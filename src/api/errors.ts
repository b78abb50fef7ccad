/** The one error body every endpoint answers with. */
export interface ErrorIssue {
  /** The field, e.g. `data.amount`, `events.3.id`, `states.thanked.entry[0].template`. */
  path: string;
  message: string;
  /** Where in a submitted text (a journey's YAML) the problem is. */
  line?: number;
  column?: number;
}

export interface ErrorBody {
  error: { message: string; issues?: ErrorIssue[] };
}

export function errorBody(message: string, issues?: ErrorIssue[]): ErrorBody {
  return { error: issues ? { message, issues } : { message } };
}
