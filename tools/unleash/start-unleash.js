// Starts the pinned unleash-server for the flags tests. Everything comes from the
// environment, read by unleash-server itself: DATABASE_URL, HTTP_HOST, HTTP_PORT,
// INIT_ADMIN_API_TOKENS, INIT_CLIENT_API_TOKENS (set by stack/src/unleash.rs, for the
// local stack and the proxy's flags tests alike).
// The version check and telemetry are off: the tests must not call home.
'use strict';

process.env.CHECK_VERSION = 'false';
process.env.SEND_TELEMETRY = 'false';
process.env.DATABASE_SSL = process.env.DATABASE_SSL || 'false';
process.env.LOG_LEVEL = process.env.LOG_LEVEL || 'warn';

for (const name of ['DATABASE_URL', 'HTTP_PORT']) {
    if (!process.env[name]) {
        console.error(`start-unleash: ${name} is not set`);
        process.exit(2);
    }
}

const unleash = require('unleash-server');

// A test killed outright cannot stop us: leave when the parent process is gone.
const parent = process.ppid;
setInterval(() => {
    if (process.ppid !== parent) {
        process.exit(0);
    }
}, 1000).unref();

unleash
    .start({ versionCheck: { enable: false } })
    .then((instance) => {
        console.log(`start-unleash: listening on ${process.env.HTTP_HOST || '*'}:${process.env.HTTP_PORT}`);
        const stop = () => instance.stop().finally(() => process.exit(0));
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
    })
    .catch((err) => {
        console.error('start-unleash: failed to start:', err);
        process.exit(1);
    });
