// Labels of the device vocabulary (vehicle kinds, monitor kinds, factors, alarm levels, states,
// sources) in the current language; an unknown code is shown as itself.
import { t } from '../i18n'

function labelOr(key: string, code: string): string {
  const s = t(key)
  return s === key ? code : s
}

export const vehicleKindLabel = (k: string) => labelOr(`vehicle.kind.${k}`, k)
export const monitorKindLabel = (k: string) => labelOr(`env.kind.${k}`, k)
export const factorLabel = (f: string) => labelOr(`env.factor.${f}`, f)
export const alarmLevelLabel = (l: string) => labelOr(`alarm.level.${l}`, l)
export const alarmStateLabel = (s: string) => labelOr(`alarm.state.${s}`, s)
export const alarmSourceLabel = (s: string) => labelOr(`alarm.source.${s}`, s)
export const roadClassLabel = (c: string) => labelOr(`sweep.class.${c}`, c)
