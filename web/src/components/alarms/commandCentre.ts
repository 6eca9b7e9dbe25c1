// The command centre's device widgets, imported by the overview in one line.
export { default as AlarmTicker } from './AlarmTicker.vue'
export { default as CommandCentreLayer } from './CommandCentreLayer.vue'
