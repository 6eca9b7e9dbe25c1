import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { setUnauthenticatedHandler } from './api/http'
import { clearSession } from './lib/session'
import { stopLive } from './lib/live'
import { locale, setLocale } from './i18n'

setLocale(locale.value)

// A session that ended (expired, signed out elsewhere) sends the user to the login page.
setUnauthenticatedHandler(() => {
  clearSession()
  stopLive()
  const here = router.currentRoute.value
  if (here.name !== 'login') router.replace({ name: 'login', query: { next: here.fullPath } })
})

const app = createApp(App)
app.use(router)
app.mount('#app')
