import Decimal from 'decimal.js';
import Joi from 'joi';
import { invariant } from './errors';

// Money never touches a float: strings in JSON, Decimal in code, NUMERIC(18,2) in the database.
Decimal.set({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

export { Decimal };
export const MAX_AMOUNT = new Decimal('9999999999999999.99');

/** A positive amount as a JSON string with at most two decimals; a JSON number is refused. */
export const amountSchema = () =>
  Joi.string()
    .strict()
    .max(20)
    .pattern(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/)
    .custom((v, h) => (new Decimal(v).lte(0) ? h.error('amount.positive') : v))
    .messages({
      'string.base': '{{#label}} must be a string such as "1234.50", not a JSON number',
      'string.pattern.base': '{{#label}} must be a decimal string with at most 2 decimals, such as "1234.50"',
      'amount.positive': '{{#label}} must be greater than zero',
    });

/** Like amountSchema but zero and negative values are allowed (balances on a bank statement). */
export const signedAmountSchema = () =>
  Joi.string()
    .strict()
    .max(21)
    .pattern(/^-?(0|[1-9]\d{0,15})(\.\d{1,2})?$/)
    .messages({
      'string.base': '{{#label}} must be a string such as "1234.50", not a JSON number',
      'string.pattern.base': '{{#label}} must be a decimal string with at most 2 decimals, such as "-12.50"',
    });

export function money(v: Decimal.Value): string {
  const d = new Decimal(v);
  invariant(d.decimalPlaces() <= 2, `amount ${d.toString()} has more than two decimals`);
  return d.toFixed(2);
}

export const sum = (values: Decimal.Value[]) => values.reduce<Decimal>((acc, v) => acc.plus(v), new Decimal(0));
