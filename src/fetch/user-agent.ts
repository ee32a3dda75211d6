// The User-Agent every request of Tributary's sends unless fetch.userAgent says otherwise. In a module of its own so
// the one-off commands (inspect, check --discover) name it without loading the whole service (app.ts).
export const USER_AGENT = 'Tributary/0.1 (self-hosted feed aggregator; +https://github.com/tributary-aggregator)';
