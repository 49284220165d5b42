/**
 * Running cairn as a service: the systemd unit and launchd plist of `cairn service install`, and
 * the NATS config of the compose deployment (`cairn service nats-init`, docker-compose.yml).
 */
export { buildServiceSpec, type BuildSpecInput } from "./service.build.ts";
export { LAUNCHD_LABEL, SYSTEMD_UNIT, managerFor, unitPath, type ServiceManager, type ServiceSpec } from "./service.spec.ts";
export { renderSystemdUnit, systemdWord } from "./systemd.unit.ts";
export { renderLaunchdPlist } from "./launchd.plist.ts";
export { checkListenHost, natsInit, type NatsInitOptions, type NatsInitResult } from "./nats.init.ts";
