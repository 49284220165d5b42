/** The gateway's settings aggregate (one, `global`): enabled models, always-allowed commands. */
export { MAX_ALLOWED_COMMANDS, SETTINGS_ID, settingsSpec, type SettingsCommand } from "./settings.commands.ts";
export { SETTINGS_MACHINE_VERSION, settingsMachine, type SettingsContext } from "./settings.machine.ts";
export { serveSettings, type SettingsServiceOptions } from "./settings.service.ts";
