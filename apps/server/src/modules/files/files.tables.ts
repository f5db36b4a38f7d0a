import type { Generated } from 'kysely';

export type FilePurpose = 'attachment' | 'photo' | 'signature';

export type FilesTable = {
  id: string;
  work_order_id: string;
  dispatch_id: string | null;
  purpose: FilePurpose;
  storage_key: string;
  filename: string;
  content_type: string;
  size_bytes: Generated<string> | number;
  sha256: string;
  created_by_subject: string;
  created_by_name: string;
  created_at: Generated<Date>;
  deleted_at: Date | null;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    files: FilesTable;
  }
}
