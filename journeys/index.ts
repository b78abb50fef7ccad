/**
 * The journeys Steward ships. YAML files in this folder are read as they are;
 * journeys written in TypeScript are listed here. Only the journeys named in
 * `publishedOnStart` go live when Steward starts; the others arrive as drafts for
 * an organisation to review, adapt and publish.
 */
import type { JourneyDefinitionInput } from '../src/journeys/definition.ts';
import { firstGiftThankYou } from './first-gift-thank-you.ts';

export const typescriptJourneys: readonly JourneyDefinitionInput[] = [firstGiftThankYou];

export const publishedOnStart: readonly string[] = ['first-gift-thank-you'];
