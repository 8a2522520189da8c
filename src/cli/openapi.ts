import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app';
import { buildOpenApiDocument } from '../openapi/swagger';

export const OPENAPI_FILE = join(__dirname, '..', '..', '..', 'openapi', 'openapi.json');

/** The OpenAPI document of the code as it is, from an app on a throwaway database. */
export async function generateOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sts-openapi-'));
  try {
    // An empty declarative file: the document depends on the code only, never on local config.
    const emptyConfig = join(dataDir, 'empty.yaml');
    writeFileSync(emptyConfig, '{}\n');
    const { app } = await createApp({
      env: { STS_DATA_DIR: dataDir, STS_CONFIG: emptyConfig },
      logger: false,
    });
    const document = buildOpenApiDocument(app);
    await app.close();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  generateOpenApi()
    .then((text) => {
      writeFileSync(OPENAPI_FILE, text);
      console.log(`wrote ${OPENAPI_FILE}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
