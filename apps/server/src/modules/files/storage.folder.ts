import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, assertPrefix, type ObjectStorage } from './storage.js';

/**
 * Objects as files under `<root>/` (DATA_DIR/files by default): written to a temporary name in the
 * same folder and renamed into place, so a reader sees the whole object or none.
 */
export function folderStorage(root: string): ObjectStorage {
  const base = path.resolve(root);
  const fileOf = (key: string): string => {
    assertKey(key);
    const file = path.resolve(base, key);
    if (!file.startsWith(base + path.sep)) throw new Error('key escapes the storage folder');
    return file;
  };
  return {
    kind: 'folder',
    async put(key, body) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const temp = path.join(path.dirname(file), `.tmp-${randomUUID()}`);
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(temp, { flags: 'wx' }));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async get(key) {
      try {
        return await readFile(fileOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async stat(key) {
      try {
        const s = await stat(fileOf(key));
        return { size: s.size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
    async list(prefix) {
      assertPrefix(prefix);
      const dir = path.resolve(base, prefix);
      let entries: string[];
      try {
        entries = await readdir(dir, { recursive: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const keys: string[] = [];
      for (const entry of entries) {
        const key = `${prefix}${entry.split(path.sep).join('/')}`;
        if (path.basename(entry).startsWith('.tmp-')) continue;
        try {
          assertKey(key);
        } catch {
          continue; // a folder on the way to keys
        }
        keys.push(key);
      }
      return keys.sort();
    },
    async downloadUrl() {
      return null;
    },
    async uploadUrl() {
      return null;
    },
  };
}
