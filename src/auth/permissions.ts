/**
 * Who may do what, in one table. People hold one role; API keys hold scopes, each
 * standing for a role (`admin` → admin, `read` → viewer, `staff` → staff) or, for
 * `ingest`, the machine-only grant to send events and constituents in. Every API
 * route and web page names the permission it needs; the request hook checks it here.
 */
import { z } from 'zod';

export const roles = ['admin', 'marketer', 'staff', 'viewer'] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

/** What a principal holds: a person's role, or what a key's scopes stand for. */
export type Grant = Role | 'ingest';

/** Staff see a constituent only when one of their tasks concerns them (see `canViewConstituent`). */
export const THEIR_TASKS = 'staff:their-tasks' as const;
type TableEntry = Grant | typeof THEIR_TASKS;

/** The permission table: each permission, and the grants that hold it. */
export const permissionTable = {
  /** Send events and constituents in (`POST /events`, `POST /constituents`, …). */
  'records.ingest': ['admin', 'ingest'],
  /** Look at journeys, analytics, events, enrollments, messages and templates; validate and simulate. */
  'records.read': ['admin', 'marketer', 'viewer'],
  /** Search and list constituents. */
  'constituents.search': ['admin', 'marketer', 'viewer'],
  /** Open one constituent: staff only those their tasks concern. */
  'constituents.view': ['admin', 'marketer', 'viewer', THEIR_TASKS],
  /** See the task queues and tasks. */
  'tasks.read': ['admin', 'marketer', 'viewer', 'staff'],
  /** Claim and complete tasks. */
  'tasks.work': ['admin', 'staff'],
  /** Write journeys (drafts), publish (or ask to), pause, resume, archive, migrate. */
  'journeys.manage': ['admin', 'marketer'],
  /** Write and publish template versions, keep the seed list, send tests. */
  'templates.manage': ['admin', 'marketer'],
  /** Approve or reject someone else's publish. */
  'journeys.approve': ['admin', 'marketer'],
  /** Take a constituent out of a journey. */
  'enrollments.remove': ['admin'],
  /** API keys, people, web sessions, organisation settings. */
  'keys.manage': ['admin'],
  'people.manage': ['admin'],
  'sessions.manage': ['admin'],
  'settings.manage': ['admin'],
  /** Read the audit trail. */
  'audit.read': ['admin'],
} as const satisfies Record<string, readonly TableEntry[]>;

export type Permission = keyof typeof permissionTable;
export const permissions = Object.keys(permissionTable) as Permission[];

/** Someone or something that proved who they are: a person signed in, or an API key. */
export interface Principal {
  kind: 'person' | 'key';
  /** The person's or the key's id. */
  id: string;
  /** Shown in the app and kept in the audit trail. */
  name: string;
  grants: Grant[];
  /** A person's email: the name their task claims are kept under. */
  email?: string;
}

/** How far a principal holds a permission: fully, only for constituents of their tasks, or not at all. */
export function reach(principal: Pick<Principal, 'grants'>, permission: Permission): 'full' | 'their-tasks' | 'none' {
  const entries: readonly TableEntry[] = permissionTable[permission];
  if (principal.grants.some((grant) => entries.includes(grant))) return 'full';
  if (entries.includes(THEIR_TASKS) && principal.grants.includes('staff')) return 'their-tasks';
  return 'none';
}

/** Whether a principal holds a permission at all (possibly only for their own tasks' constituents). */
export const may = (principal: Pick<Principal, 'grants'>, permission: Permission): boolean => reach(principal, permission) !== 'none';

/** The roles that hold a permission, for a refusal that says what is needed: "admin or marketer". */
export function rolesFor(permission: Permission): string {
  const named = [...new Set(permissionTable[permission].map((entry: TableEntry) => (entry === THEIR_TASKS ? 'staff' : entry)))];
  return named.map((name) => (name === 'ingest' ? 'an ingest key' : name)).join(' or ');
}

/** What an API key's scope stands for in the table. */
export const grantOfScope = { admin: 'admin', read: 'viewer', staff: 'staff', ingest: 'ingest' } as const satisfies Record<string, Grant>;
