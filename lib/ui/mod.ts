/** The events page: static files served by `serve`, and the link `hookgate ui` prints. */
export {
  eventsPageResponse,
  eventsPageUrl,
  PAGE_PATH,
  PAGE_SECURITY_HEADERS,
} from "./events_page.ts";
