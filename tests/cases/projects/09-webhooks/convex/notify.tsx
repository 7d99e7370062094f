export const Link = () => <a href="https://hooks.slack.com/triggers/T0000JSX/jsx-token-HHHH">hook</a>;
