// The JSON API's address as the page's own backend serves it (the app's origin behind a
// balancer, the backend's port in development): pages that call the API themselves use it.
import { getBackendURL } from "$/utils/state";

export function apiUrl(path) {
  try {
    return new URL(path, getBackendURL().origin).toString();
  } catch (e) {
    return path;
  }
}
