// Hash history: the app is loaded from app:// in Electron and from / in serve mode, and a hash
// route works unchanged under both.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { appWindows, defaultWindow, windowNamed } from './lib/windows'

const views: Record<string, RouteRecordRaw['component']> = {
  datasets: () => import('./views/DatasetsView.vue'),
  model: () => import('./views/ModelView.vue'),
  train: () => import('./views/TrainView.vue'),
  generate: () => import('./views/GenerateView.vue'),
  chat: () => import('./views/ChatView.vue'),
  system: () => import('./views/SystemView.vue'),
}

export function createAppRouter() {
  return createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: windowNamed(defaultWindow)!.path },
      ...appWindows.map((w) => ({ path: w.path, name: w.name, component: views[w.name]!, meta: { title: w.title } })),
      { path: '/:rest(.*)*', redirect: windowNamed(defaultWindow)!.path },
    ],
  })
}
