import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { loginFor, router } from './router'
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
  const login = loginFor(here.path)
  if (here.name !== login) router.replace({ name: login, query: { next: here.fullPath } })
})

const app = createApp(App)
app.use(router)
app.mount('#app')

// The service worker (public/sw.js) caches the app shell so the phone views (the citizen portal
// under /citizen, the inspector view under /m — the installed app's start pages) open fast on a
// poor connection. Only in production builds (in development it would serve stale modules), and
// only from the phone views: the staff desk screens gain nothing from it.
const PHONE_VIEWS = /^\/(citizen|m)(\/|$)/
let workerAsked = false
router.afterEach((to) => {
  if (workerAsked || !import.meta.env.PROD || !('serviceWorker' in navigator) || !PHONE_VIEWS.test(to.path)) return
  workerAsked = true
  navigator.serviceWorker.register('/sw.js').catch(() => undefined)
})
