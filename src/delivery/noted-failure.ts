/**
 * The failure type of an attempt that noted something (ids only) before it failed:
 * its first detail is the note. Shared by the activities that throw it and the
 * workflow that hands the note to the next attempt, so it imports nothing.
 */
export const NOTED_BEFORE_FAILURE = 'NotedBeforeFailure';
