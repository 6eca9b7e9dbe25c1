// The ECharts pieces the vehicle and environment screens draw beyond lib/charts.ts: lines,
// scatter markers on a geo map, limit lines and a time zoom. `echarts.use` adds to the shared
// registry, so the city map and these screens use one ECharts.
import { echarts } from './charts'
import { EffectScatterChart, LineChart, LinesChart, ScatterChart } from 'echarts/charts'
import { DataZoomComponent, GeoComponent, MarkLineComponent } from 'echarts/components'

echarts.use([LineChart, ScatterChart, EffectScatterChart, LinesChart, GeoComponent, MarkLineComponent, DataZoomComponent])

export { echarts }
