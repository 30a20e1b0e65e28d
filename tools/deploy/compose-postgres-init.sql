-- Run once by the postgres container of docker-compose.yml, on an empty data volume
-- (/docker-entrypoint-initdb.d): one database per service, as tools/stack/services.mjs names them.
-- tools/deploy/compose.deploy.spec.ts checks that this list matches services.mjs exactly.
CREATE DATABASE portal;
CREATE DATABASE store_webhook;
CREATE DATABASE po_intake;
CREATE DATABASE reseller_intake;
CREATE DATABASE account;
CREATE DATABASE license;
CREATE DATABASE tracking;
