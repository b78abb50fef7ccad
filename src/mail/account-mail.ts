/**
 * The mail that lets people into Steward: an invitation and a password reset, each
 * with a single-use link. Sent through Steward's own mail transport; the token's
 * record id is the Message-ID, so a retried send is recognisable as the same mail.
 */
import type { MailTransport } from './transport.ts';
import { sendStaffEmail } from './send.ts';

export interface AccountMailSettings {
  mailer: MailTransport;
  from: string;
  /** Where people reach Steward; links in the mail point here. */
  publicUrl: () => string;
  orgName: string;
}

export type AccountMail = ReturnType<typeof createAccountMail>;

const hours = (ms: number) => Math.round(ms / 3_600_000);

export function createAccountMail(settings: AccountMailSettings) {
  const link = (path: string) => `${settings.publicUrl().replace(/\/$/, '')}${path}`;
  return {
    async invitation(input: { tokenId: string; token: string; to: string; name: string; role: string; invitedBy: string; validForMs: number }) {
      const url = link(`/app/invitations/${input.token}`);
      await sendStaffEmail(settings.mailer, {
        from: settings.from,
        to: input.to,
        messageId: input.tokenId,
        subject: `${input.invitedBy} invited you to ${settings.orgName} on Steward`,
        text: [
          `Hello ${input.name},`,
          '',
          `${input.invitedBy} invited you to sign in to Steward as ${input.role}.`,
          `Choose your password here (the link works once, for ${hours(input.validForMs)} hours):`,
          '',
          url,
          '',
          'If you did not expect this, ignore this email.',
        ].join('\n'),
      });
    },

    async passwordReset(input: { tokenId: string; token: string; to: string; name: string; validForMs: number }) {
      const url = link(`/app/password-reset/${input.token}`);
      await sendStaffEmail(settings.mailer, {
        from: settings.from,
        to: input.to,
        messageId: input.tokenId,
        subject: 'Reset your Steward password',
        text: [
          `Hello ${input.name},`,
          '',
          `Someone asked to reset your Steward password. Choose a new one here (the link works once, for ${hours(input.validForMs)} hours):`,
          '',
          url,
          '',
          'If it was not you, ignore this email: your password stays as it is.',
        ].join('\n'),
      });
    },
  };
}
