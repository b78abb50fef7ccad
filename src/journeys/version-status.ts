/**
 * The status a version is shown with. New enrollments go to the newest published
 * version only (see the router), so an older draft will never be used, and an
 * older published version only carries the people already in it: both are shown
 * as superseded, not as a draft waiting to go live.
 */
import type { JourneyVersion } from '../db/client.ts';

export type ShownStatus = JourneyVersion['status'] | 'superseded';

/** The newest published version's number, the one new enrollments go to; undefined when none is. */
export function liveVersionNumber(versions: readonly Pick<JourneyVersion, 'version' | 'status'>[]): number | undefined {
  const published = versions.filter((version) => version.status === 'published').map((version) => version.version);
  return published.length > 0 ? Math.max(...published) : undefined;
}

export function shownStatus(version: Pick<JourneyVersion, 'version' | 'status'>, live: number | undefined): ShownStatus {
  const older = live !== undefined && version.version < live;
  return older && (version.status === 'draft' || version.status === 'published') ? 'superseded' : version.status;
}
