// Tributary as the serve benchmark loads it: the real App over a prepared data directory, listening on
// 127.0.0.1 in this process, fetching nothing. Usage: tsx bench/serve-target.ts CONFIG DATA_DIR
import { App } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { serveParent } from './child.ts';

const [configFile, dataDir] = process.argv.slice(2);
const app = await App.open({ config: await loadConfig(configFile!), dataDir: dataDir!, logger: silentLogger() });
serveParent(await app.listen(0, '127.0.0.1'), () => app.close());
