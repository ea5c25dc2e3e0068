/** Entry point: registers the app shell (which registers the rest). */
import './ui/AppShell.js';
