import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { createAppRouter } from './router'
import './styles.css'

// read before the router turns an empty address into the first window
const restoreView = !window.location.hash || window.location.hash === '#/'
createApp(App, { restoreView }).use(createPinia()).use(createAppRouter()).mount('#app')
