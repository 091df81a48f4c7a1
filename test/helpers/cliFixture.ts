/** The small catalogue, judgments and training rows the CLI tests share, and a tiny model initialised on it. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { flags, runCliOk, tempDir } from './cli.ts';

export const products = [
  ['p1', 'Logitech G240 gaming mouse pad black', 'Logitech'],
  ['p2', 'Sony SRS-XB13 portable bluetooth speaker', 'Sony'],
  ['p3', 'Xerox 006R90321 toner cartridge black', 'Xerox'],
  ['p4', 'Microsoft Office Home and Student 2019', 'Microsoft'],
  ['p5', 'SteelSeries QcK gaming mouse pad large', 'SteelSeries'],
  ['p6', 'JBL Flip 5 bluetooth speaker waterproof', 'JBL'],
  ['p7', 'HP 305 ink cartridge tri-color', 'HP'],
  ['p8', 'Microsoft Wireless Mobile Mouse 1850', 'Microsoft'],
];

export const trainRows = [
  ['gaming mouse pad', 'Logitech G240 gaming mouse pad black Logitech', 'Sony SRS-XB13 portable bluetooth speaker Sony', 1.5],
  ['bluetooth speaker', 'Sony SRS-XB13 portable bluetooth speaker Sony', 'HP 305 ink cartridge tri-color HP', 2.0],
  ['toner black', 'Xerox 006R90321 toner cartridge black Xerox', 'Microsoft Office Home and Student 2019 Microsoft', 0.5],
  ['office software', 'Microsoft Office Home and Student 2019 Microsoft', 'JBL Flip 5 bluetooth speaker waterproof JBL', 3.0],
  ['large mouse pad', 'SteelSeries QcK gaming mouse pad large SteelSeries', 'Xerox 006R90321 toner cartridge black Xerox', -0.5],
  ['waterproof speaker', 'JBL Flip 5 bluetooth speaker waterproof JBL', 'Microsoft Wireless Mobile Mouse 1850 Microsoft', 1.0],
];

export interface CliFixture {
  dir: string;
  /** the initialised 32-wide, 2-layer model */
  model: string;
  file(name: string): string;
}

/** Writes corpus.jsonl, judgments.csv and train.jsonl to a temp folder and initialises a model there. */
export async function cliFixture(prefix = 'ftlab-cli-'): Promise<CliFixture> {
  const dir = tempDir(prefix);
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('corpus.jsonl'), products.map(([id, title, supplier]) => JSON.stringify({ id, title, supplier })).join('\n') + '\n');
  writeFileSync(
    file('judgments.csv'),
    'query,docid,rating\ngaming mouse pad,p1,3\ngaming mouse pad,p5,3\ngaming mouse pad,p8,1\nbluetooth speaker,p2,3\nbluetooth speaker,p6,2\noffice,p4,3\n',
  );
  writeFileSync(
    file('train.jsonl'),
    trainRows.map(([query, positive, negative, margin]) => JSON.stringify({ query, positive, negative, margin })).join('\n') + '\n',
  );
  const model = file('base');
  await runCliOk(['init', ...flags({ corpus: file('corpus.jsonl'), output: model, hidden: 32, layers: 2, heads: 4, 'vocab-size': 200, seed: 3 })]);
  return { dir, model, file };
}
