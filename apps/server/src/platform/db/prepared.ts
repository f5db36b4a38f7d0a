import type pg from 'pg';

/**
 * Server-side prepared statements for the statements a server sends again and again (the hot path
 * of every command): PostgreSQL then parses and plans them once per connection instead of on every
 * call (a dispatch command's CTEs cost more to plan than to run). A statement text is named the
 * second time it is seen; at most `limit` texts are ever named (texts that vary, e.g. a VALUES list
 * of n rows, run unnamed once the budget is spent), so a connection holds a bounded set. Plans are
 * re-checked by PostgreSQL when the search path (the tenant) or a table changes.
 *
 * Not behind a transaction-pooling pgBouncer older than 1.21 (it cannot route named statements):
 * `DATABASE_PREPARED_STATEMENTS=false`.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();

  constructor(private readonly limit = 400) {}

  nameOf(text: string): string | undefined {
    const named = this.names.get(text);
    if (named) return named;
    if (this.names.size >= this.limit) return undefined;
    if (!this.seen.has(text)) {
      if (this.seen.size < this.limit * 8) this.seen.add(text);
      return undefined;
    }
    const name = `ym_${this.names.size + 1}`;
    this.names.set(text, name);
    return name;
  }
}

/** Makes `client` send named (prepared) statements for the texts `names` gives a name to. */
export function prepareRepeatedStatements(client: pg.PoolClient, names: StatementNames): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = names.nameOf(text);
      if (name) return query({ name, text, values });
    }
    return query(...args);
  };
}
