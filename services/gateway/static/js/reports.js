// Reports placeholder: the reports issue replaces this page's content.
import { applyI18n, restoreLang, bindLangToggle, $ } from "./common.js";

restoreLang();
applyI18n();
bindLangToggle($("#lang"));
