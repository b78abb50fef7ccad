/** The one error body every endpoint answers with. */
export interface ErrorBody {
  error: { message: string; issues?: { path: string; message: string }[] };
}

export function errorBody(message: string, issues?: { path: string; message: string }[]): ErrorBody {
  return { error: issues ? { message, issues } : { message } };
}
