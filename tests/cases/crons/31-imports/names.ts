export const PREFIX = "app";
const five = 5;
export { five as FIVE };
