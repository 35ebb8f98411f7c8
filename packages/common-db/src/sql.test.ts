import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { compileSql, quoteIdentifier, sqlFragment, sqlIdentifier, sqlJoin } from './sql.js';

const compile = (strings: TemplateStringsArray, ...values: unknown[]) =>
  compileSql(strings, values);

describe('compileSql', () => {
  it('turns every value into a parameter', () => {
    expect(compile`select * from t where a = ${1} and b = ${"x'; drop"}`).toEqual({
      text: 'select * from t where a = $1 and b = $2',
      params: [1, "x'; drop"],
    });
  });

  it('numbers parameters across nested fragments', () => {
    const where = sqlFragment`a = ${1} and ${sqlFragment`b = ${2}`}`;
    expect(
      compile`select ${0}, * from ${sqlIdentifier('s', 't')} where ${where} limit ${3}`,
    ).toEqual({
      text: 'select $1, * from "s"."t" where a = $2 and b = $3 limit $4',
      params: [0, 1, 2, 3],
    });
  });

  it('joins values and fragments', () => {
    expect(compile`insert into t values (${sqlJoin([1, 2, sqlFragment`now()`])})`).toEqual({
      text: 'insert into t values ($1, $2, now())',
      params: [1, 2],
    });
    expect(compile`x ${sqlJoin([])}`.text).toBe('x ');
    expect(() => sqlJoin([1], '; drop')).toThrow(InvalidArgumentError);
  });

  it('rejects non-template calls', () => {
    expect(() => compileSql('select 1' as unknown as string[], [])).toThrow(InvalidArgumentError);
  });
});

describe('identifiers', () => {
  it('quotes valid names and rejects anything else', () => {
    expect(quoteIdentifier('vsa_events')).toBe('"vsa_events"');
    for (const bad of ['', 'a b', 'a"b', '1a', 'a;b', 'x'.repeat(64)]) {
      expect(() => quoteIdentifier(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => sqlIdentifier()).toThrow(InvalidArgumentError);
  });
});
