import { describe, expect, it } from 'vitest';
import { isMultiHostUrl, singleHostUrls } from './primary.js';
import { parseLsn } from './read-routing.js';

describe('multi-host connection strings', () => {
  it('recognises several hosts, and only several', () => {
    expect(isMultiHostUrl('postgres://u:p@db1:5432,db2:5433/ym?target_session_attrs=read-write')).toBe(true);
    expect(isMultiHostUrl('postgresql://db1,db2/ym')).toBe(true);
    expect(isMultiHostUrl('postgres://u:p@db1:5432/ym?options=-c%20a%3Db,c')).toBe(false);
    expect(isMultiHostUrl('postgres://db1/ym')).toBe(false);
  });

  it('splits into one URL per host, keeping credentials, database and other parameters', () => {
    expect(singleHostUrls('postgres://u:p%40ss@db1:5432,db2/ym?target_session_attrs=read-write&sslmode=require')).toEqual([
      'postgres://u:p%40ss@db1:5432/ym?sslmode=require',
      'postgres://u:p%40ss@db2:5432/ym?sslmode=require',
    ]);
    expect(singleHostUrls('postgres://db1:1,db2:2/ym?target_session_attrs=primary')).toEqual([
      'postgres://db1:1/ym',
      'postgres://db2:2/ym',
    ]);
  });

  it('refuses session attributes that would send writes to a standby', () => {
    expect(() => singleHostUrls('postgres://db1,db2/ym?target_session_attrs=read-only')).toThrow(/not supported/);
  });
});

describe('WAL positions', () => {
  it('orders like PostgreSQL orders pg_lsn', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060n);
    expect(parseLsn('16/B374D848') > parseLsn('15/FFFFFFFF')).toBe(true);
    expect(parseLsn(null)).toBe(0n);
  });
});
