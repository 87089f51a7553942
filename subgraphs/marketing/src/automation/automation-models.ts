import type { AutomationRule, RuleFiring, StoreTask } from '../generated/prisma/client';

/** A rule row; its trigger and action are read from its columns, so they resolve from the row too. */
export type AutomationRuleModel = AutomationRule;
export type RuleFiringModel = RuleFiring;
export type StoreTaskModel = StoreTask;
