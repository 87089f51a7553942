export * from './seed/index';
export { seedDemoData } from './seed-demo-data';
